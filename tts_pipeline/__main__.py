from tts_pipeline.cli.app import main

main()
