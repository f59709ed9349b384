declare module "*.sql" {
  const text: string;
  export default text;
}

// Imported `with { type: "file" }`: Bun hands back a path, embedded in the compiled binary.
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const path: string;
  export default path;
}
declare module "swagger-ui-dist/swagger-ui.css" {
  const path: string;
  export default path;
}
