import { Global, Module } from '@nestjs/common';
import { LiveUpdates } from './live-updates';
import { RedisService } from './redis';

@Global()
@Module({ providers: [RedisService, LiveUpdates], exports: [RedisService, LiveUpdates] })
export class RedisModule {}
