/// How Talk turns `Codable` values into payload bytes and back: the shared ``/MultiSocketCodable/MessageCoder``
/// of `MultiSocketCodable`, so a coder written for sockets serves Talk too. ``JSONTalkCoder`` is the default;
/// give another in ``TalkConfiguration/coder`` (both peers must agree). Talk reports a coder's error as
/// ``TalkError/Code/badPayload``.
public typealias TalkCoder = MessageCoder

/// The default ``TalkCoder``: the shared ``/MultiSocketCodable/JSONMessageCoder`` (JSON in UTF-8, as the
/// JavaScript client expects).
public typealias JSONTalkCoder = JSONMessageCoder
