import { defineConfig } from "drizzle-kit";

/** The Postgres migrations (COC_DATABASE_URL), beside the SQLite ones in drizzle/. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema-pg.ts",
  out: "./drizzle-pg",
});
