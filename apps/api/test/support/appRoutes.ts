import { createApp } from "../../src/app.ts";
import type { ApiServices } from "../../src/services.ts";

/** Every `METHOD /path` the HTTP app serves outside tRPC, read from its router. */
export function restRoutes(services: ApiServices): string[] {
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const routes: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route)
        for (const method of Object.keys(layer.route.methods))
          routes.push(`${method.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((createApp(services) as unknown as { router: { stack: Layer[] } }).router.stack);
  return routes;
}
