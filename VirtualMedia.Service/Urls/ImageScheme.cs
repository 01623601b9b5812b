namespace VirtualMedia.Service.Urls;

/// <summary>The kinds of image location a legacy Mount may name.</summary>
/// <remarks>Public, unlike the service's other types: NUnit test cases take it as a parameter.</remarks>
public enum ImageScheme
{
    /// <summary><c>https://</c>.</summary>
    Https,

    /// <summary><c>http://</c>, only when the configuration allows it.</summary>
    Http,

    /// <summary><c>file://</c> inside the image directory.</summary>
    File,

    /// <summary><c>smb://</c> (a Windows share).</summary>
    Smb,

    /// <summary><c>nfs://</c>.</summary>
    Nfs,
}
