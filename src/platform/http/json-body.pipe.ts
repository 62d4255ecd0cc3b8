import { Injectable, PipeTransform } from '@nestjs/common';
import Ajv, { JSONSchemaType, ValidateFunction } from 'ajv';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';

// No coercion: `"food_id": "1"` is the wrong type and must be refused, not quietly converted.
const ajv = new Ajv({ coerceTypes: false, allErrors: false, useDefaults: false, strict: true });

/**
 * Validates a JSON body against a compiled schema with the contract's two codes: no body at all is
 * EMPTY_REQUEST (the body parser gives undefined for an empty one), anything else that does not fit
 * (not an object, `null` included, a wrong or missing field) is MALFORMED_JSON. Runs after the
 * guards, so a bad token is reported before a bad body.
 */
@Injectable()
export class JsonBodyPipe<T> implements PipeTransform<unknown, T> {
  private readonly validate: ValidateFunction<T>;

  constructor(schema: JSONSchemaType<T>) {
    this.validate = ajv.compile(schema);
  }

  transform(value: unknown): T {
    if (value === undefined) throw DomainError.of(ErrorCode.EMPTY_REQUEST);
    if (!this.validate(value)) throw DomainError.of(ErrorCode.MALFORMED_JSON);
    return value;
  }
}
