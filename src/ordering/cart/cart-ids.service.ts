import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';
import { DatasetLoader } from '../../platform/dataset/dataset.service';
import { DatasetSignedIds } from '../../identity/signed-id';

/**
 * Cart ids name their owner under a MAC, so `POST /carts` needs no round trip and any node can
 * tell a cart that was never issued (404) from another user's cart (401) on its own.
 */
@DatasetLoader('cart-id')
@Injectable()
export class CartIds extends DatasetSignedIds {
  constructor(config: AppConfig) {
    super('cart-id', config.tokenSecret);
  }
}
