import { Injectable } from '@nestjs/common';
import { AppConfig } from '../platform/config/app-config';
import { DatasetLoader } from '../platform/dataset/dataset.service';
import { DatasetSignedIds } from './signed-id';

/**
 * Access tokens, issued and checked locally (no round trip). Every node derives the same key from
 * TOKEN_SECRET; tokens of a replaced dataset, whose user ids mean other people, stop working.
 */
@DatasetLoader('access-token')
@Injectable()
export class TokenService extends DatasetSignedIds {
  constructor(config: AppConfig) {
    super('access-token', config.tokenSecret);
  }
}
