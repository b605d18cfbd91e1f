// The checks read files and start short processes; they share nothing, so xunit may run the classes in parallel.
[assembly: CaptureConsole]
