import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Length, Min, ValidateNested } from 'class-validator';

/** Data of the inbound message types (PROTOCOL §2–§5). */

export class StreamPositionDto {
  @IsInt()
  @Min(0)
  offset: number;

  @IsString()
  @Length(1, 128)
  epoch: string;
}

export class RecoverDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => StreamPositionDto)
  user?: StreamPositionDto;

  @IsOptional()
  @ValidateNested()
  @Type(() => StreamPositionDto)
  broadcast?: StreamPositionDto;
}

export class AuthDto {
  @IsString()
  @IsNotEmpty()
  token: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RecoverDto)
  recover?: RecoverDto;
}

export class BroadcastDto {
  @IsString()
  @Length(1, 4096)
  text: string;
}

export class DirectDto {
  @IsString()
  @Length(1, 256)
  to: string;

  @IsString()
  @Length(1, 4096)
  text: string;
}
