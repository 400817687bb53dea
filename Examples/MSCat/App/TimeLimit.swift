/// Runs `operation` and returns its result, or cancels it and returns `nil` once `limit` has passed
/// (`nil`: no limit). The operation must end promptly when cancelled, as socket sends and receives do.
/// - Throws: what `operation` throws.
func withTimeLimit<Result: Sendable>(
    _ limit: Duration?, _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result? {
    guard let limit else { return try await operation() }
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}
