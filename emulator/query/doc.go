// Package query parses and evaluates the Azure Cosmos DB for NoSQL query dialect over JSON
// documents. It is pure Go with no HTTP: the emulator core feeds it documents and pages the
// rows it returns.
//
// The package owns the lexer, the recursive-descent parser, parameter binding and the
// evaluator (FROM, JOIN, WHERE, SELECT, GROUP BY, aggregates, ORDER BY, DISTINCT,
// OFFSET/LIMIT, TOP). It does not own storage, paging, continuation tokens or RU charges.
//
// Start with [Parse], then [Query.Bind] the request's parameters, then either
// [Bound.Execute] over every document in scope or, when [Bound.Streamable] reports true,
// [Bound.Apply] one document at a time.
package query
