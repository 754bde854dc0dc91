import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SCHEMA_FILE = path.join(ROOT, "db/schema.ts");

/** What a column's TypeScript type says, reduced to what the database can be compared with. */
export interface TsColumn {
  /** "string", "number", "boolean", "Date", "json", "Buffer", "string[]", … or the type's text when unknown. */
  family: string;
  /** The members of a string-literal union (`"a" | "b"`); undefined for a plain `string`. */
  literals?: string[];
  /** `| null` in the select type. */
  nullable: boolean;
  /** "optional": an insert may leave it out; "required"; "never": the database alone fills it. */
  insert: "optional" | "required" | "never";
}

export type TsSchema = Map<string, Map<string, TsColumn>>;

/**
 * `Json` is `unknown`, which swallows `| null`: `Nullable<Json>` and `Json` would read alike. The
 * reader sees it as an opaque marker `| undefined` instead, so `Nullable<…>` stays visible while an
 * insert may still leave out a bare `Json`, as Kysely allows (`undefined extends unknown`).
 */
const JSON_ALIAS = "export type Json = unknown;";
const JSON_MARKER = "__schemaDriftJson";
const JSON_OPAQUE = `export type Json = { readonly ${JSON_MARKER}: true } | undefined;`;

/** Every file but db/schema.ts, parsed once: a second read (an edited schema) takes a tenth of the first. */
const unchanged = new Map<string, ts.SourceFile | undefined>();

/**
 * Reads the `DB` interface of db/schema.ts (with the table interfaces it pulls from db/schema/*.ts
 * and their module augmentations) through the compiler's own type checker. `edit` rewrites the
 * schema file's text first: the drift test uses it to prove that it notices a change.
 */
export function readTsSchema(edit: (text: string) => string = (t) => t): TsSchema {
  const options = compilerOptions();
  const program = ts.createProgram([SCHEMA_FILE, GLOBALS_FILE], options, schemaHost(options, edit));
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE);
  const module = source && checker.getSymbolAtLocation(source);
  const dbSymbol = module && checker.getExportsOfModule(module).find((s) => s.name === "DB");
  if (!dbSymbol) throw new Error("db/schema.ts exports no `DB` interface");
  const tables: TsSchema = new Map();
  for (const table of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(dbSymbol))) {
    const columns = new Map<string, TsColumn>();
    for (const column of checker.getPropertiesOfType(checker.getTypeOfSymbol(table))) {
      columns.set(column.name, describeColumn(checker, checker.getTypeOfSymbol(column)));
    }
    tables.set(table.name, columns);
  }
  return tables;
}

/**
 * The project's options, trimmed for speed (0.3 s instead of 3 s): "kysely" resolves to the one
 * file that defines its column types (not the 250 files of the whole package), the ES5 library
 * has Date and Array, and Node's 110 files of types give way to the one name the schema uses.
 */
function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const options = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
  const columnTypes = path.join(ROOT, "node_modules/kysely/dist/esm/util/column-type.d.ts");
  const paths = { ...options.paths, kysely: [columnTypes] };
  return { ...options, lib: ["lib.es5.d.ts"], types: [], paths, noEmit: true };
}
const GLOBALS_FILE = path.join(ROOT, "tests/helpers/__schema-globals.d.ts");
const GLOBALS = "interface Buffer { readonly byteLength: number }";

/** The compiler's own host, but db/schema.ts is read through `edit` and with the opaque `Json`. */
function schemaHost(options: ts.CompilerOptions, edit: (text: string) => string): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === GLOBALS_FILE || fileExists(fileName);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (fileName === GLOBALS_FILE) return ts.createSourceFile(fileName, GLOBALS, languageVersion);
    if (path.resolve(fileName) !== SCHEMA_FILE) {
      const file = unchanged.get(fileName) ?? getSourceFile(fileName, languageVersion, ...rest);
      if (file) unchanged.set(fileName, file);
      return file;
    }
    const text = ts.sys.readFile(SCHEMA_FILE) ?? "";
    if (!text.includes(JSON_ALIAS))
      throw new Error(`db/schema.ts no longer says \`${JSON_ALIAS}\`: update tests/helpers/schema-types.ts`);
    return ts.createSourceFile(fileName, edit(text).replace(JSON_ALIAS, JSON_OPAQUE), languageVersion);
  };
  return host;
}

/** Unwraps Kysely's ColumnType<S, I, U> (and Generated<T>, Default<T>, Nullable<T>, built on it). */
function describeColumn(checker: ts.TypeChecker, type: ts.Type): TsColumn {
  const part = (name: string) => {
    const prop = type.getProperty(name);
    return prop ? checker.getTypeOfSymbol(prop) : type;
  };
  const select = part("__select__");
  const insertType = part("__insert__");
  const values = members(select).filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
  const { family, literals } = familyOf(checker, values);
  const takesUndefined = members(insertType).some((t) => t.flags & ts.TypeFlags.Undefined);
  return {
    family,
    literals,
    nullable: members(select).some((t) => t.flags & ts.TypeFlags.Null),
    insert: insertType.flags & ts.TypeFlags.Never ? "never" : takesUndefined ? "optional" : "required",
  };
}

const members = (type: ts.Type) => (type.isUnion() ? type.types : [type]);

function familyOf(checker: ts.TypeChecker, types: ts.Type[]): { family: string; literals?: string[] } {
  if (types.every((t) => t.isStringLiteral())) {
    return { family: "string", literals: types.map((t) => (t as ts.StringLiteralType).value).sort() };
  }
  // `boolean` is the union `true | false`.
  if (types.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return { family: "boolean" };
  if (types.every((t) => t.flags & ts.TypeFlags.NumberLike)) return { family: "number" };
  if (types.length !== 1) return { family: types.map((t) => checker.typeToString(t)).join(" | ") };
  return { family: single(checker, types[0]!) };
}

function single(checker: ts.TypeChecker, type: ts.Type): string {
  if (type.flags & ts.TypeFlags.String) return "string";
  if (type.flags & ts.TypeFlags.NumberLike) return "number";
  if (type.getProperty(JSON_MARKER)) return "json";
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    return `${element ? single(checker, element) : "unknown"}[]`;
  }
  const name = type.getSymbol()?.name;
  if (name === "Date" || name === "Buffer") return name;
  return checker.typeToString(type);
}
