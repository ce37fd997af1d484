export * from './envelope';
export * from './pki';
export * from './identity-domains.service';
export * from './identity-domains.resolver';
export * from './certificates.module';
export * from './dto/identity-domain.types';
export * from './key-rotation.service';
export * from './key-rotation.repository';
