export {
  deterministicBytes as content,
  MIN_PART_SIZE,
  multipartUpload,
} from "../../scripts/local/multipart.ts";
