import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';

/** A whole-number setting within [min, max], read from its string form. */
export function IntSetting(min: number, max: number): PropertyDecorator {
  const decorators = [Type(() => Number), IsInt(), Min(min), Max(max)];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/** How a boolean setting may be written; anything else fails validation. */
const FLAGS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
};

/** A boolean setting: `true`, `false`, `1` or `0`. */
export function FlagSetting(): PropertyDecorator {
  const decorators = [Transform(({ value }) => FLAGS[String(value)] ?? value), IsBoolean()];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}
