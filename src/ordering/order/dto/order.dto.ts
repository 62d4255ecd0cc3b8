import { ApiProperty } from '@nestjs/swagger';
import type { JSONSchemaType } from 'ajv';

export class PlaceOrderDto {
  @ApiProperty() cart_id!: string;
}

export const placeOrderSchema: JSONSchemaType<PlaceOrderDto> = {
  type: 'object',
  properties: { cart_id: { type: 'string', maxLength: 1024 } },
  required: ['cart_id'],
};

export class OrderCreatedDto {
  @ApiProperty() id!: string;
}

export class OrderItemDto {
  @ApiProperty() food_id!: number;
  @ApiProperty() count!: number;
}

export class OrderDto {
  @ApiProperty() id!: string;
  @ApiProperty({ type: [OrderItemDto] }) items!: OrderItemDto[];
  @ApiProperty() total!: number;
}

export class AdminOrderDto extends OrderDto {
  @ApiProperty() user_id!: number;
}
