// Elysia decides when it is first imported whether it runs in development mode, where it
// pretty-prints each request body into every validation error (seconds of CPU for a hostile body).
// `coc` is a product, not a framework under development: it always runs in production mode.
// cli/main.ts imports this module first, so it runs before anything loads Elysia.
process.env.NODE_ENV = "production";
