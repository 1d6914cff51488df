// A bare reader of server-sent events, for measuring a stream without a client library's cost.
import http from "node:http";

/** Reads an SSE response with node:http, calling `onEvent(type, data)` for each event. */
export function rawSse(
  url: string,
  apiKey: string,
  onOpen: () => void,
  onEvent: (type: string, data: string) => void,
): { close(): void } {
  const req = http.get(
    url,
    { headers: { authorization: `Bearer ${apiKey}`, accept: "text/event-stream" } },
    (res) => {
      onOpen();
      res.setEncoding("utf8");
      let buffered = "";
      res.on("data", (chunk: string) => {
        buffered += chunk;
        for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          let type = "message";
          let data = "";
          for (const field of block.split("\n")) {
            if (field.startsWith("event: ")) type = field.slice(7);
            else if (field.startsWith("data: ")) data = field.slice(6);
          }
          onEvent(type, data);
        }
      });
    },
  );
  req.on("error", () => {});
  return { close: () => req.destroy() };
}
