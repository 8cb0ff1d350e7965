export {
  deterministicBytes as content,
  MIN_PART_SIZE,
  multipartUpload,
} from "../../shared/local/multipart.ts";
