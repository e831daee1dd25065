// A non-Node upstream behind the edge (JDK only: `java IdentityUpstream.java <port>`): it answers every
// request with the X-Revocable-* headers it received, as JSON, and the claims header decoded.
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

public class IdentityUpstream {
  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      Map<String, String> seen = new TreeMap<>();
      for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
        String name = h.getKey().toLowerCase();
        if (name.startsWith("x-revocable-")) seen.put(name, String.join(",", h.getValue()));
      }
      StringBuilder json = new StringBuilder("{\"path\":").append(quote(exchange.getRequestURI().toString()));
      json.append(",\"headers\":{");
      boolean first = true;
      for (Map.Entry<String, String> e : seen.entrySet()) {
        if (!first) json.append(',');
        first = false;
        json.append(quote(e.getKey())).append(':').append(quote(e.getValue()));
      }
      json.append('}');
      String claims = seen.get("x-revocable-claims");
      if (claims != null && !claims.isEmpty()) {
        String decoded = new String(Base64.getUrlDecoder().decode(claims), StandardCharsets.UTF_8);
        json.append(",\"claims\":").append(decoded);
      }
      json.append('}');
      byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("listening on " + args[0]);
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
