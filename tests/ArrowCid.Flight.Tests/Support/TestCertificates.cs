using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ArrowCid.Flight.Tests.Support;

/// <summary>Self-signed server certificates for the TLS tests.</summary>
internal static class TestCertificates
{
    /// <summary>
    /// A certificate for 127.0.0.1 and localhost (subject alternative names), valid for an hour,
    /// with a private key usable by SslStream on every platform (round-tripped through PKCS#12).
    /// </summary>
    public static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes <paramref name="certificate"/> and its private key as PEM files (what `arrowcid serve --tls-cert/--tls-key` and other stacks read).</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string folder)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string certificatePath = Path.Combine(folder, "server.crt.pem");
        string keyPath = Path.Combine(folder, "server.key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the certificate has no ECDSA private key");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
