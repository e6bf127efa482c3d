# Image pipeline: one hand-written function and two through terraform-aws-modules/lambda,
# laid out like that module's examples (complete/, simple/).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

locals {
  prefix = "pipeline-${var.env}"
}

resource "aws_lambda_function" "resize" {
  function_name = "${local.prefix}-resize"
  role          = aws_iam_role.lambda.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "build/resize.zip"
  memory_size   = 1024 # tuned 2024-05: 1 vCPU
  timeout       = 30

  environment {
    variables = {
      BUCKET = var.bucket
    }
  }
}

resource "aws_lambda_function" "thumbs" {
  function_name = "${local.prefix}-thumbs"
  role          = aws_iam_role.lambda.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "build/thumbs.zip"
  timeout       = 10
}

module "ingest" {
  source  = "terraform-aws-modules/lambda/aws"
  version = "~> 7.0"

  function_name = "${local.prefix}-ingest"
  handler       = "ingest.handler"
  runtime       = "python3.12"
  source_path   = "src/ingest"
  memory_size   = var.ingest_memory_mb
  timeout       = 60
}

module "report" {
  source = "terraform-aws-modules/lambda/aws"

  function_name = "${local.prefix}-report"
  handler       = "report.handler"
  runtime       = "python3.12"
  source_path   = "src/report"
  memory_size   = var.default_memory_mb
}

resource "aws_iam_role" "lambda" {
  name               = "${local.prefix}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}
