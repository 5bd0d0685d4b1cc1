// biome-ignore-all lint/suspicious/noTemplateCurlyInString: hostile spec text is written as plain strings on purpose
import { describe, expect, it } from "vitest";
import {
  codeSpan,
  escapeMarkdownBlock,
  escapeMarkdownInline,
} from "../../src/codegen/emit-readme.js";
import {
  literalType,
  MAX_IDENTIFIER_LENGTH,
  NameScope,
  operationBaseName,
  propertyAccess,
  propertyName,
  safeDocText,
  safeLineComment,
  stringLiteral,
  toTypeName,
  toValueName,
} from "../../src/codegen/names.js";

/** Parses `text` as a declaration name: throws when it is not a valid, non-reserved binding. */
function assertBindable(name: string): void {
  new Function(`"use strict"; let ${name}; class ${name}X {}`);
}

describe("toTypeName", () => {
  const rows: [string, { given: string; want: string }][] = [
    ["camelCase", { given: "orderPlaced", want: "OrderPlaced" }],
    ["kebab", { given: "order-placed", want: "OrderPlaced" }],
    ["dots and spaces", { given: "order.placed v2", want: "OrderPlacedV2" }],
    ["acronym", { given: "HTTPServer", want: "HTTPServer" }],
    ["digit first", { given: "123 numbers", want: "_123Numbers" }],
    ["only punctuation", { given: "*/ --- ${}", want: "Anonymous" }],
    ["unicode letters kept", { given: "größe 注文", want: "Größe注文" }],
    ["symbols dropped", { given: "check ✓ mark", want: "CheckMark" }],
    ["injection", { given: '"); process.exit(1); //', want: "ProcessExit1" }],
    ["empty", { given: "", want: "Anonymous" }],
  ];
  it.each(rows)("%s", (_name, { given, want }) => {
    expect(toTypeName(given)).toBe(want);
    assertBindable(toTypeName(given));
  });
});

describe("toValueName", () => {
  const rows: [string, { given: string; want: string }][] = [
    ["camel from words", { given: "Order placed", want: "orderPlaced" }],
    ["reserved word", { given: "delete", want: "delete_" }],
    ["reserved word class", { given: "class", want: "class_" }],
    ["TS keyword", { given: "type", want: "type_" }],
    ["upper word", { given: "ORDERS stream", want: "ordersStream" }],
    ["digit first", { given: "2fa code", want: "_2faCode" }],
    ["composed with reserved part", { given: "delete Publisher", want: "deletePublisher" }],
  ];
  it.each(rows)("%s", (_name, { given, want }) => {
    expect(toValueName(given)).toBe(want);
    assertBindable(toValueName(given));
  });

  it("shortens very long names with a stable hash of the whole name", () => {
    const long = "a very long operation name ".repeat(10);
    const name = toValueName(long);
    expect(name.length).toBeLessThanOrEqual(MAX_IDENTIFIER_LENGTH);
    expect(toValueName(long)).toBe(name);
    expect(toValueName(`${long}x`)).not.toBe(name);
    assertBindable(name);
  });
});

describe("NameScope", () => {
  it("keeps names that collide after sanitising distinct, and stable per key", () => {
    const scope = new NameScope();
    const a = scope.claim(toTypeName("Class"), "a");
    const b = scope.claim(toTypeName("class"), "b");
    const c = scope.claim(toTypeName("class!"), "c");
    expect([a, b, c]).toEqual(["Class", "Class2", "Class3"]);
    expect(scope.claim("Other", "a")).toBe("Class");
  });

  it("never hands out global names generated code relies on", () => {
    const scope = new NameScope();
    expect(scope.claim(toTypeName("promise"))).toBe("Promise2");
    expect(scope.claim(toTypeName("record"))).toBe("Record2");
  });
});

describe("literals and property names", () => {
  const rows: [string, { given: string; want: string }][] = [
    ["plain", { given: "id", want: "id" }],
    ["quote", { given: 'we"ird', want: '"we\\"ird"' }],
    ["empty", { given: "", want: '""' }],
    ["digits", { given: "123", want: '"123"' }],
    ["comment end", { given: "*/", want: '"*/"' }],
    ["proto", { given: "__proto__", want: '"__proto__"' }],
    ["line separator", { given: "a\u2028b", want: '"a\\u2028b"' }],
  ];
  it.each(rows)("propertyName: %s", (_name, { given, want }) => {
    expect(propertyName(given)).toBe(want);
  });

  it("string literals round-trip through the JavaScript parser", () => {
    for (const text of [
      '"); process.exit(1); //',
      "`${x}`",
      "a\nb\u2028c\u2029",
      "\\",
      "</script>",
    ]) {
      expect(new Function(`return ${stringLiteral(text)};`)()).toBe(text);
    }
  });

  it("property access is safe for any name", () => {
    const obj = { 'a"b': 1, ok: 2 };
    expect(new Function("o", `return o${propertyAccess('a"b')};`)(obj)).toBe(1);
    expect(propertyAccess("ok")).toBe(".ok");
  });

  it("literal types", () => {
    expect(literalType("x")).toBe('"x"');
    expect(literalType(-1)).toBe("-1");
    expect(literalType(null)).toBe("null");
    expect(literalType(true)).toBe("true");
    expect(literalType(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(literalType({ a: 1 })).toBeUndefined();
  });
});

describe("comments", () => {
  const rows: [string, { given: string; want: string }][] = [
    ["closing marker", { given: "a */ b", want: "a *\\/ b" }],
    ["opening marker", { given: "a /* b", want: "a /\\* b" }],
    ["tag at line start", { given: "@param x", want: "\\@param x" }],
    ["CRLF and separators", { given: "a\r\nb\u2028c", want: "a\nb\nc" }],
    ["trailing space and blank edges", { given: "\n a  \n", want: " a" }],
  ];
  it.each(rows)("safeDocText: %s", (_name, { given, want }) => {
    expect(safeDocText(given)).toBe(want);
  });

  it("line comments stay on one line", () => {
    expect(safeLineComment("a\nb\r\nc\u2028d")).toBe("a b c d");
  });
});

describe("Markdown escaping (README)", () => {
  const rows: [string, { given: string; want: string }][] = [
    ["plain text untouched", { given: "Orders 1.4.0 (v2)", want: "Orders 1.4.0 (v2)" }],
    ["emphasis and code", { given: "*a* _b_ `c`", want: "\\*a\\* \\_b\\_ \\`c\\`" }],
    ["html", { given: "<script>alert(1)</script>", want: "&lt;script&gt;alert(1)&lt;/script&gt;" }],
    ["table pipe and newline", { given: "a | b\nc", want: "a \\| b c" }],
    ["version number", { given: "1.4.0", want: "1.4.0" }],
    ["link", { given: "[x](javascript:alert(1))", want: "\\[x\\](javascript:alert(1))" }],
  ];
  it.each(rows)("%s", (_name, { given, want }) => {
    expect(escapeMarkdownInline(given)).toBe(want);
  });

  it("blocks escape what would start a heading or a list on each line", () => {
    expect(escapeMarkdownBlock("# title\n1. first\n- item\nplain")).toBe(
      "\\# title\n1\\. first\n\\- item\nplain",
    );
  });

  it("code spans use a fence longer than any backtick run inside", () => {
    expect(codeSpan("a`b")).toBe("``a`b``");
    expect(codeSpan("`x`")).toBe("`` `x` ``");
    expect(codeSpan("a\nb")).toBe("`a b`");
  });
});

describe("operationBaseName", () => {
  it.each([
    ["publishOrderCreated", "send", "Order Created"],
    ["sendInvoice", "send", "Invoice"],
    ["placeOrder", "send", "place Order"],
    ["onOrderCreated", "receive", "Order Created"],
    ["consume-payments", "receive", "payments"],
    ["publishOrderCreated", "receive", "publish Order Created"],
    ["publish", "send", "publish"],
    ["send2", "send", "send2"],
    ["emit 2fa", "send", "emit 2fa"],
  ] as const)("%s (%s) → %s", (id, action, want) => {
    expect(operationBaseName(id, action)).toBe(want);
  });
});

describe("NameScope without case", () => {
  it("never hands out two names that differ only by case", () => {
    const scope = new NameScope([]);
    expect(scope.claim("placeOrderPublisher")).toBe("placeOrderPublisher");
    expect(scope.claim("PlaceOrderPublisher")).toBe("PlaceOrderPublisher2");
    expect(scope.has("PLACEORDERPUBLISHER")).toBe(true);
  });
});
