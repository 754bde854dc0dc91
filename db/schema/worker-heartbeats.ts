/** Issue 13 item 4: one row per running jobs worker (bff/jobs/heartbeat.ts). */
export interface WorkerHeartbeatsTable {
  worker_id: string;
  host: string;
  pid: number;
  started_at: Date;
  beat_at: Date;
}

export interface WorkerHeartbeatTables {
  worker_heartbeats: WorkerHeartbeatsTable;
}
