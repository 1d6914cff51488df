export {
  createFileService,
  FILE_CHUNK_BYTES,
  type FileService,
  type FileUpload,
  fileNotFound,
} from "./fileService.ts";
export {
  type OpenAiBatchObject,
  type OpenAiBatchStatus,
  type OpenAiFileObject,
  openAiBatchObject,
  openAiBatchStatus,
  openAiFileObject,
} from "./openaiBatchObject.ts";
export { createOpenAiBatchService, type OpenAiBatchService } from "./openaiBatchService.ts";
