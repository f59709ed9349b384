/**
 * The shape of an OpenAPI document, without its words: for each operation, its parameters, its
 * request body's member paths and, per response status, the member paths of its schema. Two
 * documents with the same shape describe the same API, however their descriptions read.
 */
type Json = Record<string, any>;

function resolve(document: Json, schema: Json | undefined): Json | undefined {
  const ref = schema?.$ref as string | undefined;
  return ref ? resolve(document, ref.split("/").slice(1).reduce((node: Json, key) => node?.[key], document)) : schema;
}

/** Every member path of a schema (`user.streak.current`, `items[].id`), sorted. */
export function memberPaths(document: Json, schema: Json | undefined, prefix = "", seen = new Set<Json>()): string[] {
  const node = resolve(document, schema);
  if (!node || seen.has(node)) return [];
  seen.add(node);
  const out: string[] = [];
  for (const [key, value] of Object.entries((node.properties ?? {}) as Json)) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path, ...memberPaths(document, value, path, seen));
  }
  if (node.items) out.push(...memberPaths(document, node.items, `${prefix}[]`, seen));
  for (const variant of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) out.push(...memberPaths(document, variant, prefix, seen));
  seen.delete(node);
  return [...new Set(out)].sort();
}

export function openApiShape(document: Json): Record<string, unknown> {
  const shape: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(document.paths as Json)) {
    for (const [method, operation] of Object.entries(item as Json)) {
      const responses: Record<string, string[]> = {};
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Json)) {
        const content = (response as Json).content as Json | undefined;
        responses[status] = content ? memberPaths(document, (Object.values(content)[0] as Json)?.schema) : [];
      }
      const body = (operation.requestBody?.content ?? {}) as Json;
      shape[`${method.toUpperCase()} ${path}`] = {
        parameters: ((operation.parameters ?? []) as Json[]).map((p) => `${p.in}:${p.name}`).sort(),
        body: memberPaths(document, (Object.values(body)[0] as Json | undefined)?.schema),
        responses,
      };
    }
  }
  return shape;
}
