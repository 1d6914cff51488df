import type { ChatCompletionContentPart } from "openai/resources/chat/completions";
import type { ProviderContentPart } from "./provider.ts";

// OpenAI reads `file_data` as a data URL; bare base64 is taken to be a PDF, the file type its chat
// completions accept.
function fileDataUrl(data: string): string {
  return data.startsWith("data:") ? data : `data:application/pdf;base64,${data}`;
}

/** One provider-neutral content part in OpenAI's chat-completions shape. */
export function openAiContentPartOf(part: ProviderContentPart): ChatCompletionContentPart {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image": {
      const { source } = part;
      const url = source.kind === "url" ? source.url : `data:${source.mediaType};base64,${source.data}`;
      return { type: "image_url", image_url: { url, ...(part.detail ? { detail: part.detail } : {}) } };
    }
    case "audio":
      return { type: "input_audio", input_audio: { data: part.data, format: part.format } };
    case "file":
      return {
        type: "file",
        file: {
          ...(part.fileData === undefined ? {} : { file_data: fileDataUrl(part.fileData) }),
          ...(part.fileId === undefined ? {} : { file_id: part.fileId }),
          ...(part.filename === undefined ? {} : { filename: part.filename }),
        },
      };
  }
}

/** A message's content for OpenAI: its parts when it has any beyond text, else its text. */
export function openAiContentOf(message: {
  content: string;
  parts?: ProviderContentPart[] | undefined;
}): string | ChatCompletionContentPart[] {
  return message.parts ? message.parts.map(openAiContentPartOf) : message.content;
}
