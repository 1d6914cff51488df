import type {
  ContentBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
  ToolUseBlockParam,
} from "@anthropic-ai/sdk/resources/messages";
import { SluiceError } from "../errors/sluiceError.ts";
import type { ProviderContentPart, ProviderMessage } from "./provider.ts";

/**
 * A request field Anthropic's Messages API cannot express: a 400 naming the field (as the
 * OpenAI-shaped body spells it) and the model, rather than a silently different request.
 */
export function inexpressible(path: string, why: string, model: string): SluiceError {
  return new SluiceError("validation_error", `${path}: ${why} (model ${model})`, {
    details: { model, issues: [{ path, message: why }] },
  });
}

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
type ImageMediaType = "image/jpeg" | "image/png" | "image/gif" | "image/webp";

// "%PDF" in base64: a bare base64 file without a data URL prefix is recognised by its magic bytes.
const PDF_BASE64_PREFIX = "JVBER";

function imageBlockOf(
  part: Extract<ProviderContentPart, { type: "image" }>,
  path: string,
  model: string,
): ImageBlockParam {
  const source = part.source;
  if (source.kind === "url") return { type: "image", source: { type: "url", url: source.url } };
  if (!IMAGE_TYPES.has(source.mediaType)) {
    throw inexpressible(
      `${path}.image_url.url`,
      `images must be JPEG, PNG, GIF or WebP, not ${source.mediaType}`,
      model,
    );
  }
  return {
    type: "image",
    source: { type: "base64", media_type: source.mediaType as ImageMediaType, data: source.data },
  };
}

function documentBlockOf(
  part: Extract<ProviderContentPart, { type: "file" }>,
  path: string,
  model: string,
): DocumentBlockParam {
  if (part.fileData === undefined) {
    throw inexpressible(
      `${path}.file.file_id`,
      "file ids are not sent to Anthropic models; send the file itself as file_data",
      model,
    );
  }
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(part.fileData);
  const [mediaType, data] = match ? [match[1], match[2] ?? ""] : [undefined, part.fileData];
  const isPdf =
    mediaType === undefined ? data.startsWith(PDF_BASE64_PREFIX) : mediaType === "application/pdf";
  if (!isPdf) {
    throw inexpressible(`${path}.file.file_data`, "Anthropic models take PDF files only", model);
  }
  return {
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data },
    ...(part.filename === undefined ? {} : { title: part.filename }),
  };
}

/** The blocks of a user message's parts, in order (`path` is the message's, e.g. `messages.2`). */
export function partBlocksOf(parts: ProviderContentPart[], path: string, model: string): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  for (const [index, part] of parts.entries()) {
    const at = `${path}.content.${index}`;
    if (part.type === "audio")
      throw inexpressible(`${at}.input_audio`, "Anthropic models take no audio input", model);
    if (part.type === "image") blocks.push(imageBlockOf(part, at, model));
    else if (part.type === "file") blocks.push(documentBlockOf(part, at, model));
    // Anthropic refuses blank text blocks; a blank part beside an image adds nothing anyway.
    else if (part.text.trim() !== "") blocks.push({ type: "text", text: part.text });
  }
  return blocks;
}

/** The JSON object a tool call's argument text holds; Anthropic takes tool input only as an object. */
export function toolInputOf(text: string, path: string, model: string): Record<string, unknown> {
  // Some OpenAI-compatible servers write "" for a call without arguments.
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw inexpressible(path, "is not valid JSON; Anthropic models take tool input as a JSON object", model);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw inexpressible(path, "must be a JSON object; Anthropic models take tool input as an object", model);
  }
  return value as Record<string, unknown>;
}

/** The blocks of a user or assistant message (`index` is its place in the request's messages). */
export function messageBlocksOf(message: ProviderMessage, index: number, model: string): ContentBlockParam[] {
  const path = `messages.${index}`;
  if (message.role === "tool") {
    return [{ type: "tool_result", tool_use_id: message.toolCallId ?? "", content: message.content }];
  }
  const text: ContentBlockParam[] =
    message.parts && message.role === "user"
      ? partBlocksOf(message.parts, path, model)
      : message.content.trim() === ""
        ? []
        : [{ type: "text", text: message.content }];
  const calls = (message.toolCalls ?? []).map(
    (call, i): ToolUseBlockParam => ({
      type: "tool_use",
      id: call.id,
      name: call.name,
      input: toolInputOf(call.arguments, `${path}.tool_calls.${i}.function.arguments`, model),
    }),
  );
  return [...text, ...calls];
}
