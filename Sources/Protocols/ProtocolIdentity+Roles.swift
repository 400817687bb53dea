/// The identities of the built-in roles, with NNG's protocol numbers.
extension ProtocolIdentity {
    /// PAIR (0x10), whose peer is another PAIR.
    public static let pair = ProtocolIdentity(id: 0x10, peer: 0x10, name: "pair", peerName: "pair")
    /// PUB (0x20), whose peer is SUB.
    public static let pub = ProtocolIdentity(id: 0x20, peer: 0x21, name: "pub", peerName: "sub")
    /// SUB (0x21), whose peer is PUB.
    public static let sub = ProtocolIdentity(id: 0x21, peer: 0x20, name: "sub", peerName: "pub")
    /// REQ (0x30), whose peer is REP.
    public static let req = ProtocolIdentity(id: 0x30, peer: 0x31, name: "req", peerName: "rep")
    /// REP (0x31), whose peer is REQ.
    public static let rep = ProtocolIdentity(id: 0x31, peer: 0x30, name: "rep", peerName: "req")
    /// PUSH (0x50), whose peer is PULL.
    public static let push = ProtocolIdentity(id: 0x50, peer: 0x51, name: "push", peerName: "pull")
    /// PULL (0x51), whose peer is PUSH.
    public static let pull = ProtocolIdentity(id: 0x51, peer: 0x50, name: "pull", peerName: "push")
    /// SURVEYOR (0x62), whose peer is RESPONDENT.
    public static let surveyor = ProtocolIdentity(id: 0x62, peer: 0x63, name: "surveyor", peerName: "respondent")
    /// RESPONDENT (0x63), whose peer is SURVEYOR.
    public static let respondent = ProtocolIdentity(id: 0x63, peer: 0x62, name: "respondent", peerName: "surveyor")
    /// BUS (0x70), whose peer is another BUS.
    public static let bus = ProtocolIdentity(id: 0x70, peer: 0x70, name: "bus", peerName: "bus")
}
