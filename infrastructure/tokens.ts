// Dependency-injection tokens that carry the type of what they name: registering a factory of the wrong type
// under a token, or resolving a token as another type, is a compile error.
import { instanceCachingFactory, type DependencyContainer } from 'tsyringe';

declare const named: unique symbol;

export type Token<T> = symbol & { readonly [named]?: T };

export const token = <T>(description: string): Token<T> => Symbol(description) as Token<T>;

export function provideValue<T>(c: DependencyContainer, token: Token<T>, value: T): void {
  c.register(token, { useValue: value });
}

/** One instance per container, made on first use. */
export function provideSingleton<T>(c: DependencyContainer, token: Token<T>, make: (c: DependencyContainer) => T): void {
  c.register(token, { useFactory: instanceCachingFactory(make) });
}

export const resolve = <T>(c: DependencyContainer, token: Token<T>): T => c.resolve<T>(token);
