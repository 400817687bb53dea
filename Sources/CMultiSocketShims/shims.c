// Headers-only shim target; this file exists so SwiftPM builds the module.
