import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One field that failed validation, as `errors` lists them. */
export class FieldErrorBody {
  @ApiProperty({ example: 'userIds' })
  field: string;
  @ApiProperty({ type: [String], example: ['userIds must contain at least 1 elements'] })
  messages: string[];
}

/** Every REST error answers this body (Nest's HttpException shape; `errors` on a 400 from validation). */
export class ErrorBody {
  @ApiProperty({ example: 401 })
  statusCode: number;
  @ApiProperty({ description: 'What went wrong, for people', example: 'missing or invalid API key' })
  message: string;
  @ApiProperty({ description: "The status's reason phrase", example: 'Unauthorized' })
  error: string;
  @ApiPropertyOptional({ type: [FieldErrorBody], description: 'On a 400 from validation: the fields that failed' })
  errors?: FieldErrorBody[];
}
