export { GraphQLJSONObject } from 'graphql-scalars';
