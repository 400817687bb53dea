@_exported import MultiSocket
