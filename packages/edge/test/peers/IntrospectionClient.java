// Introspects a token at the edge the way Spring Security's SpringOpaqueTokenIntrospector does
// (`java IntrospectionClient.java <url> <client-id> <secret> <token>`): POST the form with HTTP Basic
// and Accept: application/json, require HTTP 200 and "active": true, then read the members it reads
// (scope split on spaces into SCOPE_ authorities, sub, client_id, exp/iat/nbf as instants, iss, aud as
// a list, token_type). Prints them as `name=value` lines; an inactive token prints `active=false`.
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

public class IntrospectionClient {
  @SuppressWarnings("unchecked")
  public static void main(String[] args) throws Exception {
    String credentials = args[1] + ":" + args[2];
    String basic = "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    String form = "token=" + URLEncoder.encode(args[3], StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.newBuilder(URI.create(args[0]))
        .header("Authorization", basic)
        .header("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(form))
        .build();
    HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      System.out.println("status=" + response.statusCode());
      System.exit(3);
    }
    Map<String, Object> claims = (Map<String, Object>) MiniJson.parse(response.body());
    if (!Boolean.TRUE.equals(claims.get("active"))) {
      System.out.println("active=false");
      return;
    }
    System.out.println("active=true");
    List<String> authorities = new ArrayList<>();
    Object scope = claims.get("scope");
    if (scope instanceof String) for (String s : ((String) scope).split(" ")) if (!s.isEmpty()) authorities.add("SCOPE_" + s);
    System.out.println("authorities=" + String.join(",", authorities));
    System.out.println("sub=" + claims.get("sub"));
    System.out.println("client_id=" + claims.get("client_id"));
    for (String time : new String[] {"exp", "iat", "nbf"}) {
      Object v = claims.get(time);
      if (v instanceof Number) System.out.println(time + "=" + Instant.ofEpochSecond(((Number) v).longValue()));
    }
    System.out.println("iss=" + URI.create(String.valueOf(claims.get("iss"))));
    Object aud = claims.get("aud");
    List<String> audiences = new ArrayList<>();
    if (aud instanceof String) audiences.add((String) aud);
    if (aud instanceof List) for (Object a : (List<Object>) aud) audiences.add(String.valueOf(a));
    System.out.println("aud=" + String.join(",", audiences));
    System.out.println("token_type=" + claims.get("token_type"));
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
