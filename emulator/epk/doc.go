// Package epk computes effective partition keys (EPKs): the hashed form of a partition key
// value that decides which physical partition owns an item, exactly as the azcosmos v1.5.0
// SDK computes them, so that the emulator's partition key ranges, feed ranges and change
// feed agree with the client.
//
// It owns three things:
//
//   - hashing: [Compute] with the container's partition key [Scheme] (hash version 1 or 2,
//     Hash or MultiHash kind), built on MurmurHash3 (32-bit for V1, x64 128-bit for V2);
//   - ordering: [Compare], the length-aware comparison the SDK applies to range bounds, and
//     [Range] with [Range.Contains];
//   - range arithmetic for splits: [Midpoint], which halves a range within the part of the
//     key space a scheme actually uses.
//
// It does not know about containers, documents or HTTP. Partition key values are the
// decoded JSON components of the x-ms-documentdb-partitionkey header: string, float64,
// bool, nil (JSON null) and [Undefined] for an item without a partition key value.
//
// Bounds are upper-case hex strings. The whole key space is ["", "FF"): "" is the minimum
// and "FF" the exclusive maximum sentinel, which is above every EPK because V2 hashes have
// their top two bits cleared and V1 hashes start with 24 zero digits.
package epk
