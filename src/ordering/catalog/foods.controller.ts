import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { JSON_UTF8 } from '../../platform/errors/http-error.filter';
import { AccessTokenGuard } from '../../identity/access-token.guard';
import { FoodCatalog } from './food-catalog.service';

class FoodDto {
  @ApiProperty() id!: number;
  @ApiProperty() price!: number;
  @ApiProperty({
    description: 'Units left across the cluster; may lag a live sale by up to a second',
  })
  stock!: number;
}

@ApiTags('ordering')
@ApiSecurity('access_token')
@Controller('foods')
@UseGuards(AccessTokenGuard)
export class FoodsController {
  constructor(private readonly catalog: FoodCatalog) {}

  @Get()
  @Header('content-type', JSON_UTF8)
  @ApiOkResponse({ type: [FoodDto] })
  list(): string {
    return this.catalog.json;
  }
}
