variable "env" {
  description = "Deployment environment"
  type        = string
  default     = "prod"
}

variable "bucket" {
  type = string
}

variable "ingest_memory_mb" {
  description = "Memory for the ingest function, in MB"
  type        = number
  default     = 512 # keep in step with the SQS batch size
}

variable "default_memory_mb" {
  description = "Memory for the small functions"
  type        = number
  default     = 256
}
