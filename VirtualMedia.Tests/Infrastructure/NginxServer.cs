using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace VirtualMedia.Tests.Infrastructure;

/// <summary>A real nginx on 127.0.0.1 serving a directory over HTTPS (self-signed, HTTP/2), HTTPS limited to TLS 1.2, and plain HTTP.</summary>
/// <remarks>
/// Paths: <c>/images/</c> plain files with Range support; <c>/private/</c> the same files behind auth_basic
/// (<see cref="User"/>/<see cref="Password"/>); <c>/norange/</c> the files with Range support disabled;
/// <c>/moved/</c> a 302 redirect to <c>/images/</c>.
/// </remarks>
public sealed class NginxServer : IAsyncDisposable
{
    public const string User = "operator";
    public const string Password = "s3cret-Pa55";

    private readonly TempDirectory _directory;
    private Process? _process;

    private NginxServer(TempDirectory directory, int httpsPort, int tls12Port, int httpPort)
    {
        _directory = directory;
        HttpsPort = httpsPort;
        Tls12Port = tls12Port;
        HttpPort = httpPort;
    }

    /// <summary>Directory the served files live in.</summary>
    public string Root => _directory.Combine("www");

    public int HttpsPort { get; }

    /// <summary>A port whose server speaks TLS 1.2 only, serving <c>/images/</c>, as older image servers do.</summary>
    public int Tls12Port { get; }

    public int HttpPort { get; }

    /// <summary>The self-signed certificate (PEM), usable as a CA file.</summary>
    public string CertificatePath => _directory.Combine("cert.pem");

    /// <summary>Directory holding only <see cref="CertificatePath"/>'s twin, for CA-directory tests.</summary>
    public string CaDirectory => _directory.Combine("ca");

    /// <summary>"status uri range" lines of every request so far (nginx writes them unbuffered).</summary>
    public string[] AccessLog() =>
        File.Exists(_directory.Combine("access.log")) ? File.ReadAllLines(_directory.Combine("access.log")) : [];

    /// <summary>"port protocol cipher" lines of every request so far, in OpenSSL's names ("TLSv1.3 TLS_AES_128_GCM_SHA256").</summary>
    public string[] TlsLog() =>
        File.Exists(_directory.Combine("tls.log")) ? File.ReadAllLines(_directory.Combine("tls.log")) : [];

    public string HttpsUrl(string path) => $"https://127.0.0.1:{HttpsPort}/{path}";

    /// <summary>Serves <paramref name="size"/> seeded random bytes as <paramref name="name"/>; returns them.</summary>
    public async Task<byte[]> ServeRandomImageAsync(string name, int size, int seed)
    {
        var image = new byte[size];
        new Random(seed).NextBytes(image);
        await File.WriteAllBytesAsync(Path.Combine(Root, name), image);
        return image;
    }

    public string HttpUrl(string path) => $"http://127.0.0.1:{HttpPort}/{path}";

    /// <summary>Generates a certificate, writes the config and starts nginx; skips the test when nginx is missing.</summary>
    public static async Task<NginxServer> StartAsync()
    {
        var nginx = Require.Tool("nginx");
        var openssl = Require.Tool("openssl");
        var directory = new TempDirectory("vm-nginx");
        var server = new NginxServer(directory, FreePort(), FreePort(), FreePort());
        Directory.CreateDirectory(server.Root);
        Directory.CreateDirectory(server.CaDirectory);
        (await ExternalProcess.RunAsync(openssl,
        [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", directory.Combine("key.pem"), "-out", server.CertificatePath,
        ])).EnsureSuccess("openssl req");
        File.Copy(server.CertificatePath, Path.Combine(server.CaDirectory, "test-ca.pem"));
        var hash = (await ExternalProcess.RunAsync(openssl, ["passwd", "-apr1", Password])).EnsureSuccess("openssl passwd");
        await File.WriteAllTextAsync(directory.Combine("htpasswd"), $"{User}:{hash.StandardOutput.Trim()}\n");
        await File.WriteAllTextAsync(directory.Combine("nginx.conf"), server.Config());
        await server.StartProcessAsync(nginx);
        return server;
    }

    /// <summary>Stops nginx (for "server went away" tests); <see cref="RestartAsync"/> brings it back.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await ExternalProcess.StopAsync(_process);
            _process.Dispose();
            _process = null;
        }
    }

    public Task RestartAsync() => StartProcessAsync(Require.Tool("nginx"));

    /// <summary>False between <see cref="StopAsync"/> and <see cref="RestartAsync"/>.</summary>
    public bool IsRunning => _process is not null;

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _directory.Dispose();
    }

    private async Task StartProcessAsync(string nginx)
    {
        _process = ExternalProcess.Start(nginx, ["-c", _directory.Combine("nginx.conf"), "-p", _directory.Path]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited: {await _process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, HttpsPort);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException("nginx did not start listening");
    }

    private string Config() => $$"""
        daemon off;
        master_process off;
        worker_processes 1;
        user root;
        pid {{_directory.Combine("nginx.pid")}};
        error_log {{_directory.Combine("error.log")}} warn;
        events { worker_connections 256; }
        http {
            log_format ranges "$status $uri $http_range";
            access_log {{_directory.Combine("access.log")}} ranges;
            log_format tls "$server_port $ssl_protocol $ssl_cipher";
            access_log {{_directory.Combine("tls.log")}} tls;
            sendfile on;
            keepalive_requests 100000;
            client_body_temp_path {{_directory.Combine("tmp")}};
            proxy_temp_path {{_directory.Combine("tmp")}};
            fastcgi_temp_path {{_directory.Combine("tmp")}};
            uwsgi_temp_path {{_directory.Combine("tmp")}};
            scgi_temp_path {{_directory.Combine("tmp")}};
            types { application/octet-stream iso img; }
            server {
                listen 127.0.0.1:{{HttpsPort}} ssl http2;
                listen 127.0.0.1:{{HttpPort}};
                ssl_certificate {{CertificatePath}};
                ssl_certificate_key {{_directory.Combine("key.pem")}};
                ssl_protocols TLSv1.2 TLSv1.3;
                location /images/ { alias {{Root}}/; }
                location /private/ {
                    alias {{Root}}/;
                    auth_basic "images";
                    auth_basic_user_file {{_directory.Combine("htpasswd")}};
                }
                location /norange/ { alias {{Root}}/; max_ranges 0; }
                location /noetag/ { alias {{Root}}/; etag off; }
                location /slow/ { alias {{Root}}/; limit_rate 1m; }
                location /moved/ { rewrite ^/moved/(.*)$ /images/$1 redirect; }
            }
            server {
                listen 127.0.0.1:{{Tls12Port}} ssl;
                ssl_certificate {{CertificatePath}};
                ssl_certificate_key {{_directory.Combine("key.pem")}};
                ssl_protocols TLSv1.2;
                location /images/ { alias {{Root}}/; }
            }
        }
        """;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
