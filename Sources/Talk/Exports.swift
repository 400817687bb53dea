@_exported import MultiSocketCodable
