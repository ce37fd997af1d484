// Translates Prisma's error codes into domain errors; only repositories call this.
import { ConflictError, DomainError, NotFoundError } from '@meshfleet/core';
import { Prisma } from './generated/prisma/client';

export function isUniqueViolation(e: unknown): boolean {
  return e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002';
}

export function translatePrismaError(e: unknown, entity: string): never {
  if (e instanceof DomainError) throw e;
  if (e instanceof Prisma.PrismaClientKnownRequestError) {
    if (e.code === 'P2002') throw new ConflictError(`${entity} already exists`);
    if (e.code === 'P2025') throw new NotFoundError(entity);
  }
  throw e;
}
