using System.Diagnostics;
using System.Net.Sockets;
using VirtualMedia.Tests.Guest.Runner;

namespace VirtualMedia.Tests.Guest.Installed;

/// <summary>
/// The host's nginx inside the guest: HTTPS on 127.0.0.1 with a certificate made here (its CA in
/// <see cref="CaDirectory"/>), the images under <c>/private/</c> behind basic auth.
/// </summary>
internal sealed class GuestNginx : IAsyncDisposable
{
    public const string User = "operator";
    public const string Password = "s3cret-Pa55";
    public const int Port = 8443;
    private const string Directory = "/run/vm-guest/nginx";

    private Process? _process;

    private GuestNginx()
    {
    }

    /// <summary>The served files.</summary>
    public static string Root => Path.Combine(Directory, "www");

    /// <summary>Holds only the server's certificate: the service's CaDirectory.</summary>
    public static string CaDirectory => Path.Combine(Directory, "ca");

    public static string PrivateUrl(string file) => $"https://127.0.0.1:{Port}/private/{file}";

    /// <summary>Makes the certificate and the password file, writes the config and starts nginx.</summary>
    public static async Task<GuestNginx> StartAsync(CaseLog log, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Root);
        System.IO.Directory.CreateDirectory(CaDirectory);
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "tmp"));
        var certificate = Path.Combine(Directory, "cert.pem");
        await GuestProgram.RunAsync("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", Path.Combine(Directory, "key.pem"), "-out", certificate,
        ], cancellationToken);
        File.Copy(certificate, Path.Combine(CaDirectory, "test-ca.pem"), overwrite: true);
        var hash = await GuestProgram.RunAsync("openssl", ["passwd", "-apr1", Password], cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(Directory, "htpasswd"), $"{User}:{hash.Trim()}\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(Directory, "nginx.conf"), Config(), cancellationToken);

        var server = new GuestNginx();
        await server.StartProcessAsync(cancellationToken);
        log.Write($"nginx listens on 127.0.0.1:{Port}");
        return server;
    }

    /// <summary>Kills nginx outright, as a crashed or unplugged image server.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Starts nginx again after <see cref="KillAsync"/>.</summary>
    public Task RestartAsync(CancellationToken cancellationToken) => StartProcessAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        _process?.Dispose();
        _process = Process.Start(new ProcessStartInfo("nginx", ["-c", Path.Combine(Directory, "nginx.conf"), "-p", Directory]))!;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new CaseFailedException($"nginx exited {_process.ExitCode}: {await File.ReadAllTextAsync(Path.Combine(Directory, "error.log"), cancellationToken)}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, Port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    private static string Config() => $$"""
        daemon off;
        master_process off;
        worker_processes 1;
        user root;
        pid {{Directory}}/nginx.pid;
        error_log {{Directory}}/error.log warn;
        events { worker_connections 64; }
        http {
            access_log off;
            sendfile on;
            client_body_temp_path {{Directory}}/tmp;
            proxy_temp_path {{Directory}}/tmp;
            fastcgi_temp_path {{Directory}}/tmp;
            uwsgi_temp_path {{Directory}}/tmp;
            scgi_temp_path {{Directory}}/tmp;
            types { application/octet-stream iso img; }
            server {
                listen 127.0.0.1:{{Port}} ssl;
                ssl_certificate {{Directory}}/cert.pem;
                ssl_certificate_key {{Directory}}/key.pem;
                ssl_protocols TLSv1.2 TLSv1.3;
                location /private/ {
                    alias {{Root}}/;
                    auth_basic "images";
                    auth_basic_user_file {{Directory}}/htpasswd;
                }
            }
        }
        """;
}
