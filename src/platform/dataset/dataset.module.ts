import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DatasetService } from './dataset.service';

@Global()
@Module({ imports: [DiscoveryModule], providers: [DatasetService], exports: [DatasetService] })
export class DatasetModule {}
