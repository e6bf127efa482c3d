import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export class ThumbnailsStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const resize = new lambda.Function(this, 'Resize', {
      functionName: 'cdk-resize',
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'app.handler',
      code: lambda.Code.fromAsset('resize'),
      memorySize: 1024, // 1 vCPU-ish
      timeout: cdk.Duration.seconds(30),
    });

    // Name chosen by CDK: ThumbnailsStack-Report<hash>-<suffix>
    new lambda.Function(this, 'Report', {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'report.handler',
      code: lambda.Code.fromAsset('report'),
      memorySize: props?.env ? 2048 : 1024,
    });
  }
}
