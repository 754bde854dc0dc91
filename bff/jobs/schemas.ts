import { z } from "zod";
import { field, type FormInput } from "../validation.js";

/** 背景作業's list: the page from the URL; anything unreadable is page 1. */
export const deadListQuery = z.object({ page: field.page() });
export type DeadListQuery = FormInput<typeof deadListQuery>;
