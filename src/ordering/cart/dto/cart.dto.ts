import { ApiProperty } from '@nestjs/swagger';
import type { JSONSchemaType } from 'ajv';

export class CartCreatedDto {
  @ApiProperty() cart_id!: string;
}

export class AddItemDto {
  @ApiProperty({ example: 1 }) food_id!: number;
  @ApiProperty({ example: 1, description: 'May be negative: removes that many of the food' })
  count!: number;
}

// Any safe integer is a well-formed count; whether it fits the cart is the limit rule's call.
export const addItemSchema: JSONSchemaType<AddItemDto> = {
  type: 'object',
  properties: {
    food_id: {
      type: 'integer',
      minimum: -Number.MAX_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
    },
    count: { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
  },
  required: ['food_id', 'count'],
};
