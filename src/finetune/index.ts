// Public API of the finetune module: file upload behind validation, and fine-tune jobs (create, list, get,
// events, cancel, wait), over the api module's transport with errors classified by the errors module.
export { uploadFile, DEFAULT_UPLOAD_FLOW } from './upload.js';
export type { UploadOptions, UploadProgress, UploadResult } from './upload.js';
export { getFile, listFiles, deleteFile } from './files.js';
export { createJob, listJobs, getJob, listEvents, cancelJob } from './jobs.js';
export type { CreateJobOptions } from './jobs.js';
export { createdSince, isAmbiguousFailure, nothingCreatedError, outcomeUnknownError } from './ambiguous.js';
export { waitForJob, DEFAULT_WAIT_INTERVAL_MS } from './wait.js';
export type { WaitOptions, WaitProgress } from './wait.js';
export { checkJobParams, createJobParamsSchema } from './params.js';
export type { CreateJobParams } from './params.js';
export { nearestIds, commonPrefixLength } from './nearest.js';
export { editDistance } from '../catalog/index.js';
export { DatasetRefusedError, FileRejectedError, JobNotFoundError, UploadInputError } from './errors.js';
export { FILE_PURPOSES, JOB_STATUSES, TERMINAL_STATUSES, isTerminalStatus } from './types.js';
export type { FileObject, FilePurpose, FineTuneEvent, FineTuneJob, JobStatus, RequestOptions, UploadFlow } from './types.js';
