import { Global, Injectable, Module } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/**
 * In-process notification that an agent task changed (an event or result arrived), so the
 * feature that owns the task (operations) can react at once instead of waiting for its
 * reconciler. Cross-process delivery is not needed: the reconciler covers the other replicas.
 */
@Injectable()
export class TaskUpdates {
  private readonly emitter = new EventEmitter().setMaxListeners(50);

  emit(taskId: string): void {
    this.emitter.emit('task', taskId);
  }

  on(listener: (taskId: string) => void): () => void {
    this.emitter.on('task', listener);
    return () => this.emitter.off('task', listener);
  }
}

@Global()
@Module({ providers: [TaskUpdates], exports: [TaskUpdates] })
export class EventsModule {}
