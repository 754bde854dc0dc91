// `npm run worker`: the jobs worker alone, so several app servers (WORKER=off) can share it.
import { loadConfig } from "../config.js";
import { createContainer } from "../container.js";

const config = loadConfig();
if (config.embedded) {
  // One PGlite data directory can be opened by one process only.
  console.error("npm run worker needs DATABASE_URL: with the embedded database the worker runs inside npm start.");
  process.exit(1);
}
const container = await createContainer(config);
container.worker.start();
container.scheduleMaintenance();
container.logger.info("worker started", { id: container.worker.id, database: container.dbKind });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await container.close(); // finishes the job in hand, then closes the database
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
