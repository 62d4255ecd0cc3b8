import { ApiProperty } from '@nestjs/swagger';
import type { JSONSchemaType } from 'ajv';

export class LoginDto {
  @ApiProperty({ example: 'root' })
  username!: string;

  @ApiProperty({ example: 'toor' })
  password!: string;
}

export const loginSchema: JSONSchemaType<LoginDto> = {
  type: 'object',
  properties: {
    username: { type: 'string', maxLength: 1024 },
    password: { type: 'string', maxLength: 1024 },
  },
  required: ['username', 'password'],
};

export class LoginResponseDto {
  @ApiProperty() user_id!: number;
  @ApiProperty() username!: string;
  @ApiProperty() access_token!: string;
}
