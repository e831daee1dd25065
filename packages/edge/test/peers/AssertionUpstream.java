// A non-Node upstream that trusts only the edge's assertion JWT, verified with the JDK alone
// (`java AssertionUpstream.java <port> <jwks-url> <issuer> <audience>`): RS256 against the edge's
// JWKS (fetched again for an unknown kid), exp, iss and aud, as a stock JWT library would.
import com.sun.net.httpserver.HttpServer;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

public class AssertionUpstream {
  static final Map<String, PublicKey> KEYS = new ConcurrentHashMap<>();
  static String jwksUrl;
  static String issuer;
  static String audience;

  public static void main(String[] args) throws Exception {
    jwksUrl = args[1];
    issuer = args[2];
    audience = args[3];
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      String answer;
      int status;
      try {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null || !authorization.startsWith("Bearer ")) throw new SecurityException("no bearer assertion");
        Map<String, Object> claims = verify(authorization.substring(7));
        status = 200;
        answer = "{\"sub\":" + MiniJson.quote(String.valueOf(claims.get("sub"))) + ",\"scope\":"
            + MiniJson.quote(String.valueOf(claims.get("scope"))) + "}";
      } catch (Exception e) {
        status = 401;
        answer = "{\"error\":" + MiniJson.quote(e.getClass().getSimpleName() + ": " + e.getMessage()) + "}";
      }
      byte[] body = answer.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("listening on " + args[0]);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> verify(String jwt) throws Exception {
    String[] parts = jwt.split("\\.");
    if (parts.length != 3) throw new SecurityException("not a JWS");
    Base64.Decoder b64 = Base64.getUrlDecoder();
    Map<String, Object> header = (Map<String, Object>) MiniJson.parse(new String(b64.decode(parts[0]), StandardCharsets.UTF_8));
    if (!"RS256".equals(header.get("alg"))) throw new SecurityException("alg " + header.get("alg"));
    String kid = String.valueOf(header.get("kid"));
    PublicKey key = KEYS.get(kid);
    if (key == null) {
      loadKeys();
      key = KEYS.get(kid);
    }
    if (key == null) throw new SecurityException("unknown kid");
    Signature rsa = Signature.getInstance("SHA256withRSA");
    rsa.initVerify(key);
    rsa.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    if (!rsa.verify(b64.decode(parts[2]))) throw new SecurityException("bad signature");
    Map<String, Object> claims = (Map<String, Object>) MiniJson.parse(new String(b64.decode(parts[1]), StandardCharsets.UTF_8));
    long now = System.currentTimeMillis() / 1000;
    if (((Number) claims.get("exp")).longValue() <= now) throw new SecurityException("expired");
    if (!issuer.equals(claims.get("iss"))) throw new SecurityException("iss " + claims.get("iss"));
    Object aud = claims.get("aud");
    boolean audOk = aud instanceof List ? ((List<Object>) aud).contains(audience) : audience.equals(aud);
    if (!audOk) throw new SecurityException("aud");
    return claims;
  }

  @SuppressWarnings("unchecked")
  static synchronized void loadKeys() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(jwksUrl)).build(), HttpResponse.BodyHandlers.ofString());
    Map<String, Object> jwks = (Map<String, Object>) MiniJson.parse(response.body());
    Base64.Decoder b64 = Base64.getUrlDecoder();
    for (Object o : (List<Object>) jwks.get("keys")) {
      Map<String, Object> jwk = (Map<String, Object>) o;
      if (!"RSA".equals(jwk.get("kty"))) continue;
      RSAPublicKeySpec spec = new RSAPublicKeySpec(
          new BigInteger(1, b64.decode((String) jwk.get("n"))), new BigInteger(1, b64.decode((String) jwk.get("e"))));
      KEYS.put(String.valueOf(jwk.get("kid")), KeyFactory.getInstance("RSA").generatePublic(spec));
    }
  }
}

/** A small JSON reader (objects, arrays, strings, numbers, booleans, null): the JDK has none. */
final class MiniJson {
  private final String s;
  private int i;

  private MiniJson(String s) { this.s = s; }

  static Object parse(String text) {
    MiniJson p = new MiniJson(text);
    Object v = p.value();
    p.ws();
    if (p.i != p.s.length()) throw new IllegalArgumentException("trailing data");
    return v;
  }

  private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

  private Object value() {
    ws();
    char c = s.charAt(i);
    if (c == '{') {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      i++; ws();
      if (s.charAt(i) == '}') { i++; return m; }
      while (true) {
        ws(); String k = string(); ws();
        if (s.charAt(i++) != ':') throw new IllegalArgumentException("expected :");
        m.put(k, value()); ws();
        char d = s.charAt(i++);
        if (d == '}') return m;
        if (d != ',') throw new IllegalArgumentException("expected , or }");
      }
    }
    if (c == '[') {
      java.util.List<Object> l = new java.util.ArrayList<>();
      i++; ws();
      if (s.charAt(i) == ']') { i++; return l; }
      while (true) {
        l.add(value()); ws();
        char d = s.charAt(i++);
        if (d == ']') return l;
        if (d != ',') throw new IllegalArgumentException("expected , or ]");
      }
    }
    if (c == '"') return string();
    if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
    if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
    if (s.startsWith("null", i)) { i += 4; return null; }
    int start = i;
    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
    return new java.math.BigDecimal(s.substring(start, i));
  }

  private String string() {
    if (s.charAt(i++) != '"') throw new IllegalArgumentException("expected string");
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = s.charAt(i++);
      if (c == '"') return b.toString();
      if (c != '\\') { b.append(c); continue; }
      char e = s.charAt(i++);
      switch (e) {
        case 'n': b.append('\n'); break;
        case 't': b.append('\t'); break;
        case 'r': b.append('\r'); break;
        case 'b': b.append('\b'); break;
        case 'f': b.append('\f'); break;
        case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
        default: b.append(e);
      }
    }
  }

  static String quote(String v) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : v.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
