// The suite runs Elysia the way `coc` runs it (cli/production.ts): in production mode.
process.env.NODE_ENV = "production";
